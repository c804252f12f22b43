"""Admission through the real `peerlearn serve`: who may connect to the relay, and how often.

A deactivated account's room token stops at once, and one room token (or user) cannot open more than
16 connections: the 17th is a 429 with a reason and Retry-After.
"""
import os
import secrets
import sqlite3

import requests

from test_relay_browser import live_session, room_token


def viewer_offer():
    """A minimal browser-like WHEP offer: recvonly VP8 with ICE credentials and a fingerprint."""
    fingerprint = ":".join(f"{b:02X}" for b in secrets.token_bytes(32))
    return "\r\n".join([
        "v=0", "o=- 1 2 IN IP4 127.0.0.1", "s=-", "t=0 0", "a=group:BUNDLE 0",
        "m=video 9 UDP/TLS/RTP/SAVPF 96", "c=IN IP4 0.0.0.0", f"a=ice-ufrag:{secrets.token_hex(4)}",
        f"a=ice-pwd:{secrets.token_hex(16)}", f"a=fingerprint:sha-256 {fingerprint}", "a=setup:actpass",
        "a=mid:0", "a=recvonly", "a=rtcp-mux", "a=rtpmap:96 VP8/90000", "a=rtcp-fb:96 nack", ""])


def whep(server, room, token):
    return requests.post(f"{server.base_url}/whep/{room}", data=viewer_offer(), timeout=10, headers={
        "Content-Type": "application/sdp", "Authorization": f"Bearer {token}"})


def test_a_deactivated_accounts_room_token_stops_at_once(server):
    session, _, (learner_token,) = live_session(server)
    room = session["meeting_room_id"]
    token = room_token(server, session, learner_token)
    assert whep(server, room, token).status_code == 201
    learner = server.api("GET", "/api/me", learner_token).json()
    with sqlite3.connect(os.path.join(server.data_dir, "peerlearn.sqlite"), timeout=10) as db:
        db.execute("UPDATE users SET is_active = 0 WHERE id = ?", (learner["id"],))
    refused = whep(server, room, token)
    assert refused.status_code == 403, refused.text
    assert refused.json()["reason"] == "this account is not active"


def test_a_replayed_room_token_opens_at_most_sixteen_connections(server):
    session, _, (learner_token,) = live_session(server)
    room = session["meeting_room_id"]
    token = room_token(server, session, learner_token)
    statuses = [whep(server, room, token) for _ in range(17)]
    assert [r.status_code for r in statuses[:16]] == [201] * 16, [r.text for r in statuses if r.status_code != 201]
    refused = statuses[16]
    assert refused.status_code == 429, refused.text
    assert refused.json()["error"] == "too_many_connections"
    assert refused.headers["Retry-After"] == "10"
