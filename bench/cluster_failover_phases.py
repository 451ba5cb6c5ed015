#!/usr/bin/env python3
"""The phases of one failover trial of cluster-failover.sh, read from the surviving nodes' logs
(loglevel debug, where both servers log "*** NODE <id> possibly failing").

  cluster_failover_phases.py KILL_MS PROMOTED_MS VICTIM_ID HEIR_LOG LOG...

Prints one JSON object: the promotion's ms after the kill (as measured by the caller), when the first and the last survivor flagged the victim
PFAIL, when the first one flagged it FAIL (a quorum of reports) and when the heir did, when the
heir scheduled its election and the delay it chose, when it asked for votes, when it won."""
import datetime, json, re, sys

kill_ms, promoted, victim, heir_log, logs = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[4:]
stamp = re.compile(r"^\d+:[A-Z] (\d\d \w\w\w \d{4} \d\d:\d\d:\d\d\.\d{3}) . (.*)$")


def events(path):
    """(ms after the kill, message) of each line logged after the kill."""
    with open(path, errors="replace") as f:
        for line in f:
            m = stamp.match(line)
            if not m:
                continue
            t = datetime.datetime.strptime(m.group(1), "%d %b %Y %H:%M:%S.%f").timestamp() * 1000
            if t >= kill_ms:
                yield round(t - kill_ms), m.group(2)


def first(path, *needles):
    return next((t for t, msg in events(path) if all(n in msg for n in needles)), None)


pfail = [t for t in (first(p, "*** NODE " + victim, "possibly failing") for p in logs) if t is not None]
fail = [t for t in (first(p, "Marking node " + victim, "as failing") for p in logs) if t is not None]
heir_fail = min((t for t in (first(heir_log, "Marking node " + victim, "as failing"),
                             first(heir_log, "FAIL message received", "about " + victim)) if t is not None), default=None)
delayed = next(((t, int(m.group(1))) for t, msg in events(heir_log)
                if (m := re.search(r"Start of election delayed for (\d+) milliseconds", msg))), (None, None))
print(json.dumps({
    "promoted": promoted,
    "pfail_first": min(pfail, default=None), "pfail_last": max(pfail, default=None),
    "fail_first": min(fail, default=None), "heir_fail": heir_fail,
    "election_scheduled": delayed[0], "election_delay": delayed[1],
    "election_start": first(heir_log, "Starting a failover election"),
    "won": first(heir_log, "Failover election won"),
}))
