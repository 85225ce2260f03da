"""jixiao's web system: departments file their 部门整体预算绩效目标表, the finance bureau reviews,
returns, approves and publishes them (issue 4).

Layout (HackSoft's styleguide): ``models`` hold the data, ``access.restrict`` alone decides who may
see or do what, ``services`` change things (each change is written to the hash-chained ``audit``
log in the same transaction), ``selectors`` read, ``views``/``api`` are thin.  Every read, rule and
export goes through the :mod:`jixiao` library; nothing here knows a filling rule.
"""
