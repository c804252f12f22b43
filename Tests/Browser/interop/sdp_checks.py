"""What strict SDP parsers (Firefox's, webrtcbin's, aiortc's) require of each m-section of an answer."""


def sections(sdp):
    """(session lines, [m-section lines…]) of an SDP text."""
    session, media = [], []
    for line in sdp.replace("\r\n", "\n").split("\n"):
        if not line:
            continue
        if line.startswith("m="):
            media.append([line])
        elif media:
            media[-1].append(line)
        else:
            session.append(line)
    return session, media


def attribute(lines, name):
    prefix = f"a={name}"
    return [line[len(prefix):].lstrip(":") for line in lines if line == prefix or line.startswith(prefix + ":")]


def answer_problems(sdp):
    """Every missing piece, as 'mid X: no …'; empty when the answer is complete.

    Each m-section, a rejected one (port 0) included, needs a fingerprint, a setup role and ICE
    credentials (at media level, or at session level where SDP allows it). Each section in the
    BUNDLE group also lists the candidates and ends them with end-of-candidates, because some stacks
    (aiortc) read a bundled transport's candidates from its last section.
    """
    session, media = sections(sdp)
    groups = [g.split()[1:] for g in attribute(session, "group") if g.startswith("BUNDLE")]
    bundled = {mid for group in groups for mid in group}
    problems = []
    for index, lines in enumerate(media):
        mids = attribute(lines, "mid")
        label = f"m-section {index} (mid {mids[0] if mids else '?'})"
        for name in ("fingerprint", "ice-ufrag", "ice-pwd"):
            if not attribute(lines, name) and not attribute(session, name):
                problems.append(f"{label}: no a={name}")
        if not attribute(lines, "setup"):
            problems.append(f"{label}: no a=setup")
        if mids and mids[0] in bundled:
            if not attribute(lines, "candidate"):
                problems.append(f"{label}: bundled but no a=candidate")
            if not attribute(lines, "end-of-candidates"):
                problems.append(f"{label}: bundled but no a=end-of-candidates")
    return problems
