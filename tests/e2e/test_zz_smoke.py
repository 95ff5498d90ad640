from tests.e2e.conftest import *  # noqa
def test_smoke(client, routed):
    r = client.get(f"/r/{routed.tokens['caf']}")
    print(r.status_code, r.text[:3000] if r.status_code != 200 else len(r.text))
    open("/tmp/review.html","w").write(r.text)
    assert r.status_code == 200
    r = client.get(f"/r/{routed.tokens['caf']}/pages/1.png"); assert r.status_code == 200, r.text
    r = client.get(f"/r/{routed.tokens['caf']}/annotated/1.png"); assert r.status_code == 200, r.text
