"""Hostile input, generated from the app's own OpenAPI schema: no 5xx, and every response matches the
schema. Runs with admin and operator keys so the generated requests reach the code behind auth."""

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance

from service.auth.models import Role
from tests.conftest import make_key
from tests.helpers import approved_slogan, collection, feature, square

EXAMPLES_PER_OPERATION = 40


def test_no_server_errors_and_responses_match_the_schema(
    client: TestClient, admin: dict[str, str], police: dict[str, str]
) -> None:
    # Something for the generated requests to find: a zone, a fleet, a slogan with clips, a campaign.
    client.post("/v1/zones/import", json=collection(feature("z1", square(89.18, 44.0))), headers=admin)
    client.post("/v1/fleets", json={"id": "beiting", "name": "北庭出行", "operator": "北庭"}, headers=admin)
    slogan = approved_slogan(client, police, admin, "网络汇款需谨慎。")
    client.post("/v1/campaigns", json={"name": "all", "slogan_ids": [slogan["id"]]}, headers=admin)
    operator = make_key(client, Role.operator, fleet_ids=["beiting"])

    schema = schemathesis.openapi.from_asgi("/openapi.json", client.app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    for operation in operations:
        _fuzz(operation, operator if operation.path.startswith("/v1/events") else admin)


def _fuzz(operation, headers: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, suppress_health_check=list(HealthCheck))
    def check(case) -> None:  # type: ignore[no-untyped-def]
        # Our validation goes beyond what a schema can say (markup in slogans, unknown fleets, invalid
        # polygons), so a schema-valid request may rightly get a 4xx: only that one check is left out.
        case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

    check()
