"""Sends a body over the server's --body-limit N times with Python's standard library and
prints what each try got: "413 tooLarge", or the exception (BrokenPipeError, ...).

Usage: python3 oversized.py http.client|urllib URL BYTES TRIES
"""
import http.client
import json
import sys
import urllib.error
import urllib.parse
import urllib.request


def with_http_client(url, body):
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    try:
        conn.request("POST", u.path, body=body, headers={"Content-Type": "application/json"})
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def with_urllib(url, body):
    req = urllib.request.Request(url, data=body, method="POST")
    req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def main(client, url, size, tries):
    send = {"http.client": with_http_client, "urllib": with_urllib}[client]
    body = b"x" * size
    for _ in range(tries):
        try:
            status, answer = send(url, body)
            print(status, json.loads(answer).get("error"))
        except Exception as e:  # what the client got instead of an answer
            print(type(e).__name__, e)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
