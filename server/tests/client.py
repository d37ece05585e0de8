"""A client of session-core-server in Python with the standard library only (urllib).

Usage: python3 client.py http://127.0.0.1:3000
It runs create -> get -> set -> kill and prints "ok create get set kill", or fails.
"""
import json
import sys
import urllib.request


def call(method, url, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=5) as resp:
        return json.loads(resp.read())


def main(base):
    done = []
    token = call("PUT", f"{base}/pyapp/create/user42?ip=10.1.2.3&ttl=600", {"lang": "python"})["token"]
    assert len(token) == 64, token
    done.append("create")
    session = call("GET", f"{base}/pyapp/get/{token}")
    assert session["id"] == "user42" and session["d"] == {"lang": "python"}, session
    done.append("get")
    session = call("POST", f"{base}/pyapp/set/{token}", {"visits": 1, "lang": None})
    assert session["w"] == 2 and session["d"] == {"visits": 1}, session
    done.append("set")
    assert call("DELETE", f"{base}/pyapp/kill/{token}") == {"kill": 1}
    assert call("GET", f"{base}/pyapp/get/{token}") == {}
    done.append("kill")
    print("ok " + " ".join(done))


if __name__ == "__main__":
    main(sys.argv[1].rstrip("/"))
