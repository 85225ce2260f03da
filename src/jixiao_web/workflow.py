"""The workflow of a filed document, as one table: its states and the transitions between them.

A document kind (the target table ``TARGET``, the self-evaluation ``SELFEVAL``, the monitoring
report ``MONITORING``) is a :class:`Workflow`: plain frozen data, read by everything that used to know
the workflow by heart:

- :mod:`jixiao_web.access` builds the query conditions of the workflow actions (``SUBMIT``,
  ``HEAD_REVIEW``, ``REVIEW``, ``PUBLISH``, ``WITHDRAW``, and ``EDIT`` from the editable states) from
  each transition's ``sources`` and who may take it (``roles``, ``own``, ``not_submitter``);
- :func:`jixiao_web.services.transition` takes any transition: lock, access check, the checks it
  names, what it freezes (a :class:`~jixiao_web.models.Version`), receives, comments, grades,
  publishes or takes back, the state change and its audit entry, in one transaction;
- :mod:`jixiao_web.audit` records the state the table says (``状态``, ``收到版本``, ``发布版本``, ``等级``)
  and derives each document's state from the chain by the same flags (``jixiao audit verify``);
- :mod:`jixiao_web.selectors` takes the history the finance bureau does not see
  (``bureau_sees``), the queue's tabs, order and link words and the season's states from it;
- the pages take their buttons, confirmations and messages (``button``, ``confirm``, ``done``) from it;
- ``tests/web/test_access_matrix.py`` reads :meth:`Workflow.permits` for what each role may do in
  each state (beside hand-written spot checks).

The target table (``TARGET``), one line per transition (its audit action; the command it answers;
from → to; who; what it does)::

    submit_to_head      submit        草稿/退回修改 → 待部门负责人审核  own 填报人, when the city asks   freezes
    submit              submit        草稿/退回修改 → 已提交            own 填报人/部门负责人          freezes, received
    head_approve        head_approve  待部门负责人审核 → 已提交          own 部门负责人, not submitter   received
    head_return         head_return   待部门负责人审核 → 退回修改        own 部门负责人, not submitter   comments must
    withdraw_from_head  withdraw      待部门负责人审核 → 草稿            own 填报人/部门负责人          takes back
    withdraw            withdraw      已提交 → 草稿                      own 填报人/部门负责人          takes back (not once opened)
    return              return        已提交 → 退回修改                  财政局, not submitter          comments must, grade may
    approve             approve       已提交 → 已审核                    财政局, not submitter          grade 优/良 must, comments may
    publish             publish       已审核 → 已发布                    财政局                         publishes the received version

The department's internal steps (submit_to_head, head_return, withdraw_from_head) are not shown to
the finance bureau.  The queue lists 已提交 under 待审核 and 退回修改/已审核/已发布 under 已审核; a
department is late when its first received version (not taken back) came after the deadline, or
none came and the deadline passed.

Every kind's table is made by one builder, :func:`document_workflow`, from what differs as data:
its noun, whether the 部门负责人 may review first (``head_review``), the bureau's decision
(:class:`Decision`: approve with a grade, approve, or accept) and whether it is published
(:class:`Publication`).  The self-evaluation (``SELFEVAL``) and the monitoring report
(``MONITORING``) are the target table without the 部门负责人's review; a monitoring report is
accepted, not approved, and never published.  Adding a state or a transition every kind shares is a
row in the builder (and its :class:`~jixiao_web.models.Status` or
:class:`~jixiao_web.models.AuditAction` member); adding a kind is a call of it. Labels shown to
people are in Chinese; the names and flags are English.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from jixiao_web.models import AuditAction, Grade, Kind, Role, Status


class Action(StrEnum):
    """What one can do to a document (the workflow's transitions are gated by the last five)."""

    VIEW = "view"  # read it (published: anyone)
    HISTORY = "history"  # read its submitted versions, review comments and workflow history
    DRAFT = "draft"  # read the working copy, its save history and the department's own comments
    EDIT = "edit"  # change the working copy
    CONTACT = "contact"  # season: the department's 单位负责人, 填报人, 联系电话, 填报日期 for printing
    SUBMIT = "submit"
    HEAD_REVIEW = "head_review"  # 部门负责人: approve or return before it goes out
    REVIEW = "review"  # 财政审核人: comment, grade, return, approve
    PUBLISH = "publish"
    #: The department takes back a submission nobody has reviewed yet (the service refuses it,
    #: with the reason, once the finance bureau has opened the version).
    WITHDRAW = "withdraw"


#: Who files for a department, and who works in the finance bureau.
DEPARTMENT: Final = (Role.FILER, Role.HEAD)
BUREAU: Final = (Role.REVIEWER, Role.ADMIN)


class Need(StrEnum):
    """Whether a transition takes comments or a grade: not at all, if given, or only with one."""

    NO = "no"
    MAY = "may"
    MUST = "must"


@dataclass(frozen=True, slots=True)
class State:
    """A state of a document, and how the finance bureau's queue and season pages show it."""

    status: Status
    #: The department may change the working copy (and submit it).
    editable: bool = False
    #: The bureau is told a document it cannot see yet is in this state (its progress), rather
    #: than 草稿.
    announced: bool = False
    #: The queue's tab it is listed under besides 全部 ("" for none), and its place in the queue.
    tab: str = ""
    queue_order: int = 9
    #: The queue's link to it.
    queue_link: str = "查看"
    #: Its version is the approved one (a start for next year's table, counted in the 指标库; what
    #: a self-evaluation will be made from).
    approved: bool = False
    #: Shown on the public portal.
    public: bool = False

    @property
    def label(self) -> str:
        return str(self.status.label)


@dataclass(frozen=True, slots=True)
class Transition:
    """One step of the workflow: from which states to which, who may take it, what it does and
    records, and its words."""

    #: What the actor asks for (a page's button, a service): several transitions may share one,
    #: told apart by the state they start from or by ``head_first``.
    command: str
    #: Its audit entry; the entry's label is its name in the history.
    audit: AuditAction
    sources: tuple[Status, ...]
    target: Status
    #: The access action that gates it (:mod:`jixiao_web.access`).
    gate: Action
    roles: tuple[Role, ...]
    #: Only the document's own department.
    own: bool = False
    #: Never whoever submitted the version.
    not_submitter: bool = False
    #: Taken only when the city asks the 部门负责人 first and the actor is a 填报人 (True), only
    #: otherwise (False), or either way (None).
    head_first: bool | None = None
    #: Freezes the working copy as a new version (its identity recorded; errors block it).
    freezes: bool = False
    #: The finance bureau receives the (new or latest) version (recorded with when).
    receives: bool = False
    #: The version the bureau received becomes the published one (recorded with when).
    publishes: bool = False
    #: Takes the latest version back (not once the bureau opened it); the bureau's received
    #: version falls back to the last one not taken back.
    takes_back: bool = False
    #: Names the version the reviewer read: a newer one since is a conflict.
    checks_reviewed: bool = False
    comments: Need = Need.NO
    grade: Need = Need.NO
    #: The grades it accepts when it needs one (empty: any grade).
    grades: tuple[Grade, ...] = ()
    #: The finance bureau sees its entry in the document's history (no: inside the department).
    bureau_sees: bool = True
    #: In a refusal: 您不能{verb}“…”.
    verb: str = ""
    button: str = ""
    #: What the confirmation says will happen ({grade}, {graded}, {sent}, {number} filled in),
    #: where the page asks, and the button that confirms.
    confirm: str = ""
    confirm_button: str = ""
    #: The message once done ({number}, {grade}, {document} filled in).
    done: str = ""

    @property
    def label(self) -> str:
        """Its name in the history."""
        return str(self.audit.label)

    def may(self, role: str, *, own: bool, submitter: bool) -> bool:
        """Whether someone of ``role`` may take it (in one of its ``sources``): ``own``, of the
        document's department; ``submitter``, who submitted its latest version."""
        return role in self.roles and (own or not self.own) and not (submitter and self.not_submitter)


@dataclass(frozen=True, slots=True)
class Workflow:
    """The states and transitions of one kind of document."""

    kind: str
    #: What the document is called: 目标表.
    noun: str
    states: tuple[State, ...]
    transitions: tuple[Transition, ...]
    #: The queue's tabs: key → label (the last lists everything).
    tabs: tuple[tuple[str, str], ...]
    #: Who may edit a working copy in an editable state (their own department's).
    editors: tuple[Role, ...] = DEPARTMENT

    def state(self, status: str) -> State:
        return next(s for s in self.states if s.status == status)

    @property
    def initial(self) -> Status:
        """Where a new document starts (the first state)."""
        return self.states[0].status

    @property
    def editable(self) -> tuple[Status, ...]:
        return tuple(s.status for s in self.states if s.editable)

    @property
    def approved(self) -> tuple[Status, ...]:
        return tuple(s.status for s in self.states if s.approved)

    @property
    def public(self) -> tuple[Status, ...]:
        return tuple(s.status for s in self.states if s.public)

    def in_tab(self, tab: str) -> tuple[Status, ...]:
        """The states the queue lists under ``tab`` (every state under the last tab)."""
        last = tab == self.tabs[-1][0]
        return tuple(s.status for s in self.states if last or s.tab == tab)

    def gated_by(self, gate: Action) -> tuple[Transition, ...]:
        return tuple(t for t in self.transitions if t.gate is gate)

    @property
    def gates(self) -> frozenset[Action]:
        """The access actions that gate a transition (and ``EDIT``): decided by this table."""
        return frozenset({Action.EDIT, *(t.gate for t in self.transitions)})

    def by_command(self, command: str) -> tuple[Transition, ...]:
        found = tuple(t for t in self.transitions if t.command == command)
        if not found:
            raise ValueError(command)
        return found

    def step(self, command: str, status: str, *, head_first: bool = False) -> Transition | None:
        """The transition ``command`` takes from ``status`` (``head_first``: the city asks the
        部门负责人 first and the actor is a 填报人); None when it cannot be taken from there."""
        for transition in self.by_command(command):
            if status in transition.sources and transition.head_first in (None, head_first):
                return transition
        return None

    def permits(self, command: str, status: str, role: str, *, own: bool, submitter: bool) -> bool:
        """Whether ``role`` may ``command`` a document in ``status`` (see :meth:`Transition.may`)."""
        return any(
            status in t.sources and t.may(role, own=own, submitter=submitter)
            for t in self.by_command(command)
        )

    @property
    def commands(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t.command for t in self.transitions))

    def buttons(self) -> dict[str, str]:
        """command → its button's words (for the pages)."""
        return {t.command: t.button for t in self.transitions if t.button}

    def audit_actions(
        self, *, freezes: bool = False, receives: bool = False, comments: bool = False
    ) -> tuple[AuditAction, ...]:
        """The audit actions of the transitions that freeze, receive or take comments."""
        return tuple(
            t.audit
            for t in self.transitions
            if (freezes and t.freezes)
            or (receives and t.receives)
            or (comments and t.comments is not Need.NO)
        )

    def department_only(self) -> tuple[AuditAction, ...]:
        """The transitions whose history entries only the department sees."""
        return tuple(t.audit for t in self.transitions if not t.bureau_sees)


@dataclass(frozen=True, slots=True)
class Decision:
    """How the finance bureau accepts a received version, in one kind's words (the transition
    from 已提交, beside 退回修改)."""

    command: str
    audit: AuditAction
    #: The state it leads to.
    status: Status
    verb: str
    button: str
    confirm: str
    confirm_button: str
    done: str
    #: The grades it must be given (empty: it takes none, and neither does a return).
    grades: tuple[Grade, ...] = ()
    #: The version it accepts is the approved one (see :attr:`State.approved`).
    approves: bool = True


@dataclass(frozen=True, slots=True)
class Publication:
    """How a kind that is published words the publishing: the confirmation and the message."""

    confirm: str
    done: str


_EDITABLE = (Status.DRAFT, Status.RETURNED)
_WITHDRAW = "撤回后，{noun}回到“草稿”，可以继续修改后再提交；{whom}确定撤回吗？"
_WITHDRAWN = "已撤回第{{number}}版，{noun}回到草稿，可以继续修改后再提交。"


def document_workflow(
    kind: str,
    noun: str,
    *,
    decision: Decision,
    publication: Publication | None = None,
    head_review: bool = False,
    submitted: str = "已提交第{{number}}版{noun}，等待财政局审核。",
) -> Workflow:
    """The workflow of a kind of document: drafted and returned by the department, submitted,
    withdrawn before the bureau opens it, returned or decided (``decision``) by the bureau, then
    published (``publication``; None: never).  ``head_review``: the city may ask the
    部门负责人 to review a 填报人's submission first.  ``submitted``: the message once submitted
    to the bureau ({noun} filled in here, {number} when done)."""
    graded = bool(decision.grades)
    withdrawn = _WITHDRAWN.format(noun=noun)
    states = [
        State(Status.DRAFT, editable=True),
        *([State(Status.HEAD_REVIEW, announced=True)] if head_review else []),
        State(Status.SUBMITTED, tab="waiting", queue_order=0, queue_link="审核"),
        State(Status.RETURNED, editable=True, tab="done", queue_order=1),
        State(decision.status, tab="done", queue_order=2, approved=decision.approves),
    ]
    to_head = (
        Transition(
            "submit",
            AuditAction.SUBMIT_TO_HEAD,
            _EDITABLE,
            Status.HEAD_REVIEW,
            Action.SUBMIT,
            (Role.FILER,),
            own=True,
            head_first=True,
            freezes=True,
            bureau_sees=False,
            verb="提交",
            button="提交审核",
            done="已提交第{number}版，等待部门负责人审核。",
        ),
    )
    head = (
        Transition(
            "head_approve",
            AuditAction.HEAD_APPROVE,
            (Status.HEAD_REVIEW,),
            Status.SUBMITTED,
            Action.HEAD_REVIEW,
            (Role.HEAD,),
            own=True,
            not_submitter=True,
            receives=True,
            verb="审核",
            button="审核通过，送财政局",
            done=f"已审核，{noun}已送财政局。",
        ),
        Transition(
            "head_return",
            AuditAction.HEAD_RETURN,
            (Status.HEAD_REVIEW,),
            Status.RETURNED,
            Action.HEAD_REVIEW,
            (Role.HEAD,),
            own=True,
            not_submitter=True,
            comments=Need.MUST,
            bureau_sees=False,
            verb="退回",
            button="退回填报人",
            done="已退回填报人修改。",
        ),
        Transition(
            "withdraw",
            AuditAction.WITHDRAW_FROM_HEAD,
            (Status.HEAD_REVIEW,),
            Status.DRAFT,
            Action.WITHDRAW,
            DEPARTMENT,
            own=True,
            takes_back=True,
            bureau_sees=False,  # the bureau never received that version
            verb="撤回",
            button="撤回提交…",
            confirm=_WITHDRAW.format(noun=noun, whom="部门负责人将不再审核这一版。"),
            confirm_button="确认撤回",
            done=withdrawn,
        ),
    )
    transitions = [
        *(to_head if head_review else ()),
        Transition(
            "submit",
            AuditAction.SUBMIT,
            _EDITABLE,
            Status.SUBMITTED,
            Action.SUBMIT,
            DEPARTMENT,
            own=True,
            head_first=False if head_review else None,
            freezes=True,
            receives=True,
            verb="提交",
            button="提交审核",
            done=submitted.format(noun=noun),
        ),
        *(head if head_review else ()),
        Transition(
            "withdraw",
            AuditAction.WITHDRAW,
            (Status.SUBMITTED,),
            Status.DRAFT,
            Action.WITHDRAW,
            DEPARTMENT,
            own=True,
            takes_back=True,
            verb="撤回",
            button="撤回提交…",
            confirm=_WITHDRAW.format(noun=noun, whom="财政局将看不到这一版。"),
            confirm_button="确认撤回",
            done=withdrawn,
        ),
        Transition(
            "return",
            AuditAction.RETURN,
            (Status.SUBMITTED,),
            Status.RETURNED,
            Action.REVIEW,
            BUREAU,
            not_submitter=True,
            checks_reviewed=True,
            comments=Need.MUST,
            grade=Need.MAY if graded else Need.NO,
            verb="退回",
            button="退回修改",
            confirm=f"退回{'{graded}' if graded else ''}后部门可以修改并重新提交；{{sent}}。",
            confirm_button="确认退回",
            done="已退回部门修改。",
        ),
        Transition(
            decision.command,
            decision.audit,
            (Status.SUBMITTED,),
            decision.status,
            Action.REVIEW,
            BUREAU,
            not_submitter=True,
            checks_reviewed=True,
            comments=Need.MAY,
            grade=Need.MUST if graded else Need.NO,
            grades=decision.grades,
            verb=decision.verb,
            button=decision.button,
            confirm=decision.confirm,
            confirm_button=decision.confirm_button,
            done=decision.done,
        ),
    ]
    if publication is not None:
        states.append(State(Status.PUBLISHED, tab="done", queue_order=3, approved=True, public=True))
        transitions.append(
            Transition(
                "publish",
                AuditAction.PUBLISH,
                (decision.status,),
                Status.PUBLISHED,
                Action.PUBLISH,
                BUREAU,
                publishes=True,
                verb="发布",
                button="发布",
                confirm=publication.confirm,
                confirm_button="确认发布",
                done=publication.done,
            )
        )
    return Workflow(
        kind=kind,
        noun=noun,
        states=tuple(states),
        transitions=tuple(transitions),
        tabs=(("waiting", "待审核"), ("done", "已审核"), ("all", "全部")),
    )


def _approval(confirm: str, done: str, grades: tuple[Grade, ...] = ()) -> Decision:
    """The bureau's 审核通过 (its version becomes the approved one), with its confirmation and
    message, and the grades it must be given."""
    return Decision(
        "approve",
        AuditAction.APPROVE,
        Status.APPROVED,
        verb="审核通过",
        button="审核通过",
        confirm=confirm,
        confirm_button="确认审核通过",
        done=done,
        grades=grades,
    )


#: The target table (目标表): the 部门负责人 may review first; the bureau approves with a grade
#: (优/良); published.
TARGET: Final = document_workflow(
    "target",
    "目标表",
    head_review=True,
    submitted="已提交第{{number}}版，等待财政局审核。",
    decision=_approval(
        "审核通过（等级：{grade}）后，这一版即为审定的目标表，可以发布；{sent}。",
        "已审核通过（{grade}）。",
        grades=(Grade.EXCELLENT, Grade.GOOD),
    ),
    publication=Publication(
        confirm="发布后，公众即可在公开页面查看和下载第{number}版（网页、Excel、PDF、Word），不能撤回。",
        done="已发布“{document}”，公众可在公开页面查看和下载。",
    ),
)

#: The year-end self-evaluation (绩效自评, CYCLE.md): no 部门负责人's review; the bureau's decision
#: takes no grade (the grade is the score's); published.
SELFEVAL: Final = document_workflow(
    "selfeval",
    "自评表",
    decision=_approval(
        "审核通过后，这一版（含复核得分）即为审定的自评表，可以发布；{sent}。", "已审核通过自评表。"
    ),
    publication=Publication(
        confirm="发布后，公众即可在公开页面查看第{number}版自评表（得分与等级），不能撤回。",
        done="已发布“{document}”，公众可在公开页面查看。",
    ),
)

#: The in-year monitoring (绩效运行监控, CYCLE.md): no 部门负责人's review; accepted by the finance
#: bureau without a grade; nothing approved, nothing published.
MONITORING: Final = document_workflow(
    "monitoring",
    "监控表",
    decision=Decision(
        "accept",
        AuditAction.ACCEPT,
        Status.ACCEPTED,
        verb="确认",
        button="审核确认",
        confirm="确认后，这一版即为本期的运行监控结果；{sent}。",
        confirm_button="确认",
        done="已确认监控表。",
        approves=False,
    ),
)

#: Every document kind's workflow.
WORKFLOWS: Final[dict[str, Workflow]] = {
    Kind.TARGET: TARGET,
    Kind.SELFEVAL: SELFEVAL,
    Kind.MONITORING: MONITORING,
}


def workflow_for(document: object) -> Workflow:
    """The workflow of ``document`` (a :class:`~jixiao_web.models.Filing`, by its kind)."""
    return WORKFLOWS.get(getattr(document, "kind", Kind.TARGET), TARGET)
