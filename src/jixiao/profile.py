"""The per-city, per-year settings of monitoring and self-evaluation (``shared/spec/CYCLE.md``, "The
profile").

:data:`DEFAULT` holds CYCLE.md's defaults; :data:`VARIANTS` the named alternatives the spec offers
where sources disagree.  A profile file is JSON: a ``base`` variant (default ``默认``) and the
settings that differ from it; a bad file gives a :class:`ProfileError` with a Chinese message.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any, Final, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from jixiao.catalogue import JSON_PROBLEMS, PROFILE_PROBLEMS
from jixiao.model.framework import BENEFIT, COST, LEVEL1_NAMES, OUTPUT, SATISFACTION
from jixiao.model.table import Percent, Points

_HUNDRED: Final = Decimal(100)


class GradeBand(BaseModel):
    """等级 and the lowest total that earns it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    grade: str = Field(title="等级", min_length=1)
    floor: Points = Field(title="最低总分")


class WarningBands(BaseModel):
    """Colour thresholds of a monitoring warning (v in %)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    red: Percent = Field(title="红色预警：低于")
    yellow: Percent = Field(title="黄色预警：低于")
    blue: Percent | None = Field(None, title="蓝色（远超进度）：不低于")


class Profile(BaseModel):
    """CYCLE.md's settings, with its defaults."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field("默认", title="名称")
    execution_points: Points = Field(Decimal(10), title="预算执行率分值")
    level1_points: dict[str, Points] = Field(
        default_factory=lambda: {OUTPUT: Decimal(50), BENEFIT: Decimal(30), SATISFACTION: Decimal(10)},
        title="一级指标分值",
    )
    grade_bands: tuple[GradeBand, ...] = Field(
        (
            GradeBand(grade="优", floor=Decimal(90)),
            GradeBand(grade="良", floor=Decimal(80)),
            GradeBand(grade="中", floor=Decimal(60)),
            GradeBand(grade="差", floor=Decimal(0)),
        ),
        title="等级分数段",
        description="从高到低；总分达到的第一个分数段即为等级",
    )
    lower_is_better: Literal["ratio", "linear"] = Field(
        "ratio", title="越低越好指标未达成时", description="ratio：w×A/B；linear：w×max(0, 1−(B−A)/A)"
    )
    equal_over: Literal["full", "symmetric"] = Field(
        "full", title="“=”指标超出时", description="full：满分；symmetric：w×max(0, 1−|B−A|/A)"
    )
    explain_execution_below: Percent = Field(Decimal(90), title="执行率低于此值（%）须说明原因")
    over_achievement_flag: Percent = Field(Decimal(50), title="“≥”指标超出目标此比例（%）时提示目标偏低")
    monitoring_month: int = Field(7, ge=1, le=11, title="运行监控截至月份")
    budget_warning: WarningBands = Field(
        WarningBands(red=Decimal(60), yellow=Decimal(80)), title="预算执行预警（执行率÷序时进度×100）"
    )
    indicator_warning: WarningBands = Field(
        WarningBands(red=Decimal(60), yellow=Decimal(80), blue=Decimal(120)), title="指标完成预警"
    )
    deviation_causes: tuple[str, ...] = Field(
        ("经费保障", "制度保障", "人员保障", "硬件条件保障", "其他"), title="偏差原因", min_length=1
    )
    likelihood: tuple[str, ...] = Field(
        ("确定能", "有可能", "完全不可能"), title="完成目标可能性", min_length=2
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        total = self.execution_points + sum(self.level1_points.values(), Decimal(0))
        if total != _HUNDRED:
            raise ValueError(PROFILE_PROBLEMS["points-total"].format(total=total))
        unknown = [name for name in self.level1_points if name not in LEVEL1_NAMES]
        if unknown:
            raise ValueError(PROFILE_PROBLEMS["level1-unknown"].format(names="、".join(unknown)))
        if any(points < 0 for points in (self.execution_points, *self.level1_points.values())):
            raise ValueError(PROFILE_PROBLEMS["points-negative"])
        floors = [band.floor for band in self.grade_bands]
        if not floors or floors != sorted(floors, reverse=True) or len(set(floors)) != len(floors):
            raise ValueError(PROFILE_PROBLEMS["bands-order"])
        if floors[-1] != 0:
            raise ValueError(PROFILE_PROBLEMS["bands-bottom"])
        for warning in (self.budget_warning, self.indicator_warning):
            if warning.red >= warning.yellow or (warning.blue is not None and warning.blue <= warning.yellow):
                raise ValueError(PROFILE_PROBLEMS["warning-order"])
        return self

    def grade(self, total: Decimal) -> str:
        """The first band whose floor ``total`` reaches."""
        return next(band.grade for band in self.grade_bands if total >= band.floor)


DEFAULT: Final = Profile()

#: The named variants of CYCLE.md, each the default with one setting changed.
VARIANTS: Final[dict[str, Profile]] = {
    "默认": DEFAULT,
    "101号": DEFAULT.model_copy(
        update={
            "name": "101号",
            "level1_points": {
                COST: Decimal(10),
                OUTPUT: Decimal(40),
                BENEFIT: Decimal(30),
                SATISFACTION: Decimal(10),
            },
        }
    ),
    "80/70/60": DEFAULT.model_copy(
        update={
            "name": "80/70/60",
            "grade_bands": (
                GradeBand(grade="优", floor=Decimal(80)),
                GradeBand(grade="良", floor=Decimal(70)),
                GradeBand(grade="中", floor=Decimal(60)),
                GradeBand(grade="差", floor=Decimal(0)),
            ),
        }
    ),
    "linear": DEFAULT.model_copy(update={"name": "linear", "lower_is_better": "linear"}),
    "symmetric": DEFAULT.model_copy(update={"name": "symmetric", "equal_over": "symmetric"}),
}


class ProfileError(Exception):
    """A profile file that cannot be used; the message says why, in Chinese."""


def profile_from_json(text: str | bytes, source: str = "<设定>") -> Profile:
    """A profile from JSON: ``{"base": "101号", "lower_is_better": "linear", ...}``.

    ``base`` names a variant of :data:`VARIANTS` (default ``默认``); the other keys override it.
    """
    try:
        data = json.loads(text, parse_float=Decimal)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        where = (
            PROFILE_PROBLEMS["json-where"].format(line=error.lineno, column=error.colno)
            if isinstance(error, json.JSONDecodeError)
            else ""
        )
        raise ProfileError(PROFILE_PROBLEMS["not-json"].format(source=source, where=where)) from None
    if not isinstance(data, dict):
        raise ProfileError(PROFILE_PROBLEMS["not-object"].format(source=source))
    base_name = data.pop("base", "默认")
    base = VARIANTS.get(base_name) if isinstance(base_name, str) else None
    if base is None:
        raise ProfileError(
            PROFILE_PROBLEMS["unknown-base"].format(source=source, base=base_name, known="、".join(VARIANTS))
        )
    merged: dict[str, Any] = base.model_dump() | {"name": data.get("name", source)} | data
    try:
        return Profile.model_validate(merged)
    except ValidationError as error:
        raise ProfileError(_explain(error, source)) from None


def load_profile(path: str | Path) -> Profile:
    """A profile from a JSON file (see :func:`profile_from_json`)."""
    try:
        text = Path(path).read_bytes()
    except OSError as error:
        raise ProfileError(
            PROFILE_PROBLEMS["unreadable"].format(source=path, reason=error.strerror)
        ) from None
    return profile_from_json(text, str(path))


def _explain(error: ValidationError, source: str) -> str:
    problems = []
    for item in error.errors():
        place = ".".join(str(part) for part in item["loc"])
        if item["type"] == "value_error":  # our own check: the message is already Chinese
            problem = str(item["ctx"]["error"]) if "ctx" in item else item["msg"]
        elif item["type"] == "extra_forbidden":
            problem = PROFILE_PROBLEMS["unknown-setting"]
        else:
            problem = JSON_PROBLEMS.get(item["type"], JSON_PROBLEMS[""])
        problems.append(f"{place}：{problem}" if place else problem)
    return PROFILE_PROBLEMS["invalid"].format(source=source, problems="；".join(problems))
