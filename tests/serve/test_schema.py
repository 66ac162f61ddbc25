"""Schemathesis: requests generated from the service's own OpenAPI schema (bodies of every shape, type and size
for /predict, and the other endpoints), a bounded run against the real server: no 5xx answer, and the server
still answers /health afterwards. (Schemathesis's pytest plugin does not run under pytest 9: its strategies are
driven by Hypothesis here.)"""
import schemathesis
from hypothesis import HealthCheck, given, settings

EXAMPLES = 25  # per operation: a bounded run; bench/bench_serve.py --schema runs longer


def test_no_generated_request_gets_a_server_error(service):
    process = service[0]
    schema = schemathesis.openapi.from_url(f"{process.url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.path for op in operations} >= {"/predict", "/health", "/model", "/drift"}
    seen = []
    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case):
            response = case.call(base_url=process.url, timeout=30)
            seen.append((case.operation.path, response.status_code))
            assert response.status_code < 500, f"{case.operation.path}: {response.status_code} {response.text}"
        check()
    assert {code for path, code in seen if path == "/predict"} & {400, 413, 415, 422}  # it tried bad bodies
    assert process.request("GET", "/health")[0] == 200
