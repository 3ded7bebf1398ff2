"""South Wales Police's four outcomes of an alert, mapped onto the API's decision and outcome.

SWP records each alert as one of four: a **true alert** (the officer judged it was the
person, without engaging), a **confirmed true alert** (engaged, and it was the person), a
**false alert** (judged it was not the person, without engaging) and a **confirmed false
alert** (engaged, and it was not). The engagement half is the decision (``engage`` /
``no_engage``); the other half is whether it was the person. A decision may state it
(``assessment``); when it does not, it is derived from the outcome where the outcome says
it, and left ``null`` where it does not (``not_located``, ``other``, …).
"""

from __future__ import annotations

from enum import StrEnum

from lfr_api.errors import InvalidRequest


class Assessment(StrEnum):
    """The four outcomes South Wales Police records."""

    true_alert = "true_alert"
    confirmed_true_alert = "confirmed_true_alert"
    false_alert = "false_alert"
    confirmed_false_alert = "confirmed_false_alert"


#: Assessments that say the alert was the person on the watchlist, and those that say not.
TRUE_ASSESSMENTS = frozenset({Assessment.true_alert, Assessment.confirmed_true_alert})
FALSE_ASSESSMENTS = frozenset({Assessment.false_alert, Assessment.confirmed_false_alert})
ENGAGED = frozenset({Assessment.confirmed_true_alert, Assessment.confirmed_false_alert})

#: Outcomes that only make sense when the alert was the person (after engaging), and the
#: one that says it was not.
PERSON_CONFIRMED_OUTCOMES = frozenset({"arrested", "words_of_advice"})
NOT_THE_PERSON_OUTCOME = "false_alert_not_the_person"


def derived(decision: str, outcome: str) -> Assessment | None:
    """The assessment the decision and outcome imply, or ``None`` when they do not say."""
    engaged = decision == "engage"
    if outcome == NOT_THE_PERSON_OUTCOME:
        return Assessment.confirmed_false_alert if engaged else Assessment.false_alert
    if engaged and outcome in PERSON_CONFIRMED_OUTCOMES:
        return Assessment.confirmed_true_alert
    return None


def resolve(decision: str, outcome: str, stated: Assessment | None) -> Assessment | None:
    """The assessment to record: the stated one when it agrees with the decision and the
    outcome (400 naming ``assessment`` when not), else the derived one."""
    if stated is None:
        return derived(decision, outcome)
    engaged = decision == "engage"
    if (stated in ENGAGED) != engaged:
        need = "engage" if stated in ENGAGED else "no_engage"
        raise InvalidRequest(
            f"assessment {stated.value} needs decision {need}, not {decision}: a confirmed "
            "outcome follows an engagement, an unconfirmed one does not",
            errors=[{"field": "assessment", "message": f"needs decision {need}"}])
    if outcome == NOT_THE_PERSON_OUTCOME and stated in TRUE_ASSESSMENTS:
        raise InvalidRequest(
            f"assessment {stated.value} says it was the person, but the outcome is "
            f"{outcome}: choose false_alert or confirmed_false_alert, or another outcome",
            errors=[{"field": "assessment", "message": "contradicts the outcome"}])
    if outcome in PERSON_CONFIRMED_OUTCOMES and stated is not Assessment.confirmed_true_alert:
        raise InvalidRequest(
            f"outcome {outcome} means the person was engaged and confirmed: the assessment "
            "is confirmed_true_alert",
            errors=[{"field": "assessment", "message": "contradicts the outcome"}])
    return stated


def verdict(assessment: str | None, outcome: str | None) -> str:
    """``true``, ``false`` or ``undetermined``, for the report's counts: the assessment
    where recorded, else what the outcome says."""
    if assessment in TRUE_ASSESSMENTS:
        return "true"
    if assessment in FALSE_ASSESSMENTS:
        return "false"
    if outcome == NOT_THE_PERSON_OUTCOME:
        return "false"
    if outcome in PERSON_CONFIRMED_OUTCOMES or outcome == "no_further_action":
        return "true"
    return "undetermined"
