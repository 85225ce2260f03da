"""Pages: thin views over :mod:`jixiao_web.selectors` and :mod:`jixiao_web.services`."""
