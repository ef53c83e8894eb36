"""Every route × every role × an object in scope and one out of scope, built from app.url_map.

A new route without a guard (or a ``public`` mark) fails ``test_every_route_declares_access``;
a guarded route whose model has no in/out-of-scope sample fails the matrix with a clear message.
"""
from __future__ import annotations

import io

import pytest

from core import security
from core.models import Unit, User
from core.permissions import access_of
from core.roles import CITYWIDE, READ_ONLY, Role
from extensions import db
from tests.factories import UserFactory, photo_bytes

SKIP_ENDPOINTS = {"static"}
# Sample values for URL arguments that are not the guarded object.
PLAIN_ARGS = {"code": "en", "detention_id": 1,
              "month": "2999-01"}  # a future report month: 422 once access is granted


def _routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIP_ENDPOINTS:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method, app.view_functions[rule.endpoint]


def test_every_route_declares_access(app):
    missing = [rule.rule for rule, _m, view in _routes(app) if access_of(view) is None]
    assert not missing, f"routes without guard() or public(): {missing}"


def _case_with_files(tree, unit_key):
    """A case with a vehicle, a party, an evidence file and an issued document."""
    from core import storage
    from enforcement.cases import services
    from enforcement.cases.models import CaseDocument, Evidence
    from enforcement.violations.seed import seed_violation_types

    seed_violation_types()
    officer = UserFactory(role=Role.officer, unit=tree[unit_key])
    case = services.create_case(actor=officer, unit=tree[unit_key], data=services.CaseInput(
        origin="patrol", occurred_at=services.utcnow(), address="重庆北站",
        violation_code="FY-KY", vehicles=[services.VehicleInput(plate=f"渝A{officer.id:05d}")],
        parties=[services.PartyInput(name="张三")]))
    photo = storage.save_bytes("evidence", b"\xff\xd8\xff\xe0 test", "image/jpeg")
    pdf = storage.save_bytes("documents", b"%PDF-1.4 test", "application/pdf")
    evidence = Evidence(case_id=case.id, original_name="a.jpg", stored_name=photo.stored_name,
                        sha256=photo.sha256, size=photo.size, mime="image/jpeg", kind="photo",
                        uploaded_by_id=officer.id)
    document = CaseDocument(case_id=case.id, kind="notice", version=1,
                            stored_name=pdf.stored_name, sha256=pdf.sha256, size=pdf.size,
                            issued_by_id=officer.id)
    db.session.add_all([evidence, document])
    db.session.flush()
    return case, evidence, document


def _tip_with_photo(tree, unit_key):
    """A hotline tip held by the unit, with one photo."""
    from enforcement.tips import photos
    from enforcement.tips import services as tip_services
    from enforcement.tips.models import TipPhoto

    reviewer = UserFactory(role=Role.tip_reviewer, unit=tree[unit_key])
    tip, _code = tip_services.submit_tip(tip_services.TipInput(
        what="黑车拉客", description="重庆北站拉客", occurred_at=tip_services.utcnow(),
        address="重庆北站", plates=[f"渝A{reviewer.id:05d}"]), channel="hotline_12328",
        actor=reviewer)
    tip.unit_id = tree[unit_key].id
    saved = photos.save_photo(io.BytesIO(photo_bytes()), max_bytes=1024 * 1024)
    tip.photos.append(TipPhoto(stored_name=saved.copy.stored_name, sha256=saved.copy.sha256,
                               size=saved.copy.size, mime=saved.copy.mime,
                               original_name=saved.original_name,
                               original_sha256=saved.original_sha256,
                               original_mime=saved.original_mime))
    db.session.flush()
    return tip, tip.photos[0]


def _reward_and_request(tip):
    """A proposed reward and a pending identity request on the tip (rows written directly)."""
    from enforcement.tips.reward_models import IdentityRequest, Reward, RewardTier

    proposer = UserFactory(role=Role.tip_reviewer, unit=tip.unit)
    asker = UserFactory(role=Role.unit_leader, unit=tip.unit)
    reward = Reward(tip_id=tip.id, unit_id=tip.unit_id, funding_unit_id=tip.unit_id, year=2026,
                    tier=RewardTier.case_registered, amount=500, reason="属实",
                    proposed_by_id=proposer.id)
    request = IdentityRequest(tip_id=tip.id, requested_by_id=asker.id, reason="需要核实身份信息")
    db.session.add_all([reward, request])
    db.session.flush()
    return reward, request


def _joint_samples(tree, unit_key):
    """A planned action, a zone and a meeting with one task, all of the unit."""
    import datetime as dt

    from enforcement.joint import meetings, services, zones

    office = UserFactory(role=Role.district_office, unit=tree[unit_key])
    start = services.utcnow() + dt.timedelta(days=3)
    action = services.plan_action(actor=office, unit=tree[unit_key], data=services.ActionInput(
        kind="night_action", name="夜查", planned_start=start,
        planned_end=start + dt.timedelta(hours=5)))
    zone = zones.create_zone(actor=office, unit=tree[unit_key], data=zones.ZoneInput(
        name="北站", geojson={"type": "Polygon", "coordinates": [[
            [106.545, 29.605], [106.555, 29.605], [106.555, 29.612], [106.545, 29.605]]]},
        windows=zones.parse_windows("1-5 17:00-20:00")))
    meeting = meetings.record_meeting(actor=office, unit=tree[unit_key], data=meetings.MeetingInput(
        held_on=dt.date(2026, 1, 5), title="联席会议", tasks=[meetings.TaskInput(
            title="夜查", unit_id=tree[unit_key].id, due_on=dt.date(2026, 2, 5))]))
    return action, zone, meeting, meeting.tasks[0]


def _samples(tree):
    """For each guarded model: (object in the actor's scope, object outside it)."""
    from enforcement.cases.models import Case, CaseDocument, Evidence
    from enforcement.joint.models import FollowUpTask, JointAction, Meeting, Zone
    from enforcement.people.models import Person, Vehicle
    from enforcement.tips.models import Tip, TipPhoto
    from enforcement.tips.reward_models import IdentityRequest, Reward
    from enforcement.violations.models import ViolationType

    inside = UserFactory(role=Role.officer, unit=tree["north_street"])
    outside = UserFactory(role=Role.officer, unit=tree["centre_team"])
    case_in, evidence_in, doc_in = _case_with_files(tree, "north_team")
    case_out, evidence_out, doc_out = _case_with_files(tree, "centre_team")
    tip_in, tip_photo_in = _tip_with_photo(tree, "north_team")
    tip_out, tip_photo_out = _tip_with_photo(tree, "centre_team")
    reward_in, request_in = _reward_and_request(tip_in)
    reward_out, request_out = _reward_and_request(tip_out)
    action_in, zone_in, meeting_in, task_in = _joint_samples(tree, "north_team")
    action_out, zone_out, meeting_out, task_out = _joint_samples(tree, "centre_team")
    return {Unit: (tree["north_street"], tree["centre"]), User: (inside, outside),
            Case: (case_in, case_out), Evidence: (evidence_in, evidence_out),
            CaseDocument: (doc_in, doc_out),
            Vehicle: (case_in.vehicles[0].vehicle, case_out.vehicles[0].vehicle),
            Person: (case_in.parties[0].person, case_out.parties[0].person),
            Tip: (tip_in, tip_out), TipPhoto: (tip_photo_in, tip_photo_out),
            ViolationType: (case_in.violation_type, None),  # shared: no outside
            Reward: (reward_in, reward_out), IdentityRequest: (request_in, request_out),
            JointAction: (action_in, action_out), Zone: (zone_in, zone_out),
            Meeting: (meeting_in, meeting_out), FollowUpTask: (task_in, task_out),
            **_blacklist_samples(tree, case_in, case_out),
            **_assessment_samples(tree)}


def _assessment_samples(tree):
    """A scheme (shared) and an objection to a published result of each unit."""
    from assessment.models import AssessmentScheme, ScoreObjection
    from assessment.schemes_store import seed_schemes
    from tests.assessment_support import published_objection

    seed_schemes()
    scheme = db.session.scalar(db.select(AssessmentScheme).limit(1))
    return {AssessmentScheme: (scheme, None),
            ScoreObjection: (published_objection(tree["north_team"]),
                             published_objection(tree["centre_team"]))}


def _blacklist_samples(tree, case_in, case_out):
    """Unpublished blacklist entries (another district's are out of scope) with an objection."""
    from blacklist import services as bl
    from blacklist.models import BlacklistEntry, Objection

    def entry(unit_key, case):
        leader = UserFactory(role=Role.unit_leader, unit=tree[unit_key])
        made = bl.nominate(bl.NominationInput(
            subject=bl.SubjectInput(kind="vehicle", plate=case.vehicles[0].vehicle.plate),
            reason="多次非法营运", case_ids=[case.id]), actor=leader, unit=tree[unit_key])
        made.objections.append(Objection(received_on=made.nominated_at.date(), grounds="异议",
                                         recorded_by_id=leader.id))
        db.session.flush()
        return made

    entry_in, entry_out = entry("north_team", case_in), entry("centre_team", case_out)
    return {BlacklistEntry: (entry_in, entry_out),
            Objection: (entry_in.objections[0], entry_out.objections[0])}


def _url(rule, access, obj):
    values = {}
    for name in rule.arguments:
        if access.model is not None and name == access.param:
            values[name] = getattr(obj, access.by) if access.by else obj.id
        else:
            values[name] = PLAIN_ARGS[name]
    return rule.build(values, append_unknown=False)[1]


def _sign_in(client, user):
    key = security.start_session(user)
    db.session.flush()
    with client.session_transaction() as sess:
        sess["_user_id"] = key
        sess["_fresh"] = True


def _call(client, method, url):
    if method == "GET":
        response = client.get(url)
    else:
        response = client.open(url, method=method,
                               data={} if not url.startswith("/api/") else None,
                               json={} if url.startswith("/api/") else None)
    response.close()  # file downloads keep their file open until closed
    return response


# Routes where a rule beyond the role may still refuse (403): a non-reviewer reads an
# informant's identity only with a request the city office granted.
RULE_FORBIDS = {"/tips/<int:id>/reveal": {403}}


@pytest.fixture
def no_csrf(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


@pytest.mark.parametrize("role", list(Role))
def test_role_scope_matrix(app, client, tree, db, role, no_csrf):
    samples = _samples(tree)
    actor = UserFactory(role=role, unit=tree["north"])
    problems = []
    for rule, method, view in _routes(app):
        access = access_of(view)
        if access.public:
            continue
        cases = [("none", None)]
        if access.model is not None:
            if access.model not in samples:
                problems.append(f"{rule.rule}: no scope samples for {access.model.__name__}")
                continue
            inside, outside = samples[access.model]
            cases = [("in", inside)] + ([("out", outside)] if outside is not None else [])
        for scope, obj in cases:
            _sign_in(client, actor)
            url = _url(rule, access, obj)
            status = _call(client, method, url).status_code
            allowed = role in access.roles and not (access.write and role in READ_ONLY)
            if not allowed:
                expected = {403}
            elif scope == "out" and role not in CITYWIDE:
                expected = {404}
            else:
                expected = {200, 201, 302, 400, 409, 422} | RULE_FORBIDS.get(rule.rule, set())
            if status not in expected:
                problems.append(f"{method} {url} as {role.value} ({scope}): {status}, "
                                f"expected {sorted(expected)}")
    assert not problems, "\n".join(problems)


def test_anonymous_gets_login_or_401(app, client, tree, db):
    samples = _samples(tree)
    problems = []
    for rule, method, view in _routes(app):
        access = access_of(view)
        if access.public:
            continue
        obj = samples[access.model][0] if access.model else None
        url = _url(rule, access, obj)
        response = _call(client, method, url)
        api = url.startswith("/api/")
        ok = (response.status_code == 401) if api else (
            response.status_code in (302, 400) and (
                response.status_code == 400 or "/login" in response.location))
        if not ok:
            problems.append(f"{method} {url}: {response.status_code}")
    assert not problems, "\n".join(problems)
