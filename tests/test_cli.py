#!/usr/bin/env python3
"""cintel end to end: --help, --version, tokenize on files and stdin, errors.

Usage: test_cli.py CINTEL DATA_DIR   (prints TAP)
"""
import json
import os
import subprocess
import sys
import tempfile

cintel, data_dir = sys.argv[1], sys.argv[2]
results = []


def check(name, cond, detail=""):
    results.append((name, bool(cond), detail))


def run(args, stdin=None):
    return subprocess.run([cintel] + args, input=stdin, capture_output=True)


r = run(["--help"])
check("--help exits 0 and lists tokenize", r.returncode == 0 and b"tokenize" in r.stdout)
r = run(["--version"])
check("--version prints the version", r.returncode == 0 and r.stdout.startswith(b"cintel "))
r = run([])
check("no command is a usage error", r.returncode == 2 and b"usage" in r.stderr)
r = run(["frobnicate"])
check("unknown command is a usage error", r.returncode == 2 and b"unknown command" in r.stderr)
r = run(["tokenize", "--help"])
check("tokenize --help", r.returncode == 0 and b"usage: cintel tokenize" in r.stdout)
r = run(["tokenize", "/nonexistent/file.txt"])
check("missing file is an error with a message", r.returncode == 2 and b"cannot open" in r.stderr)
r = run(["tokenize", "--bogus"])
check("unknown option is a usage error", r.returncode == 2)

text = "Hello WORLD :-)\nline two has café\n\nno newline at end"
r = run(["tokenize", "-"], stdin=text.encode())
lines = r.stdout.decode().splitlines()
objs = [json.loads(l) for l in lines]
check("one JSON object per input line", r.returncode == 0 and len(objs) == 4, lines)
check("line numbers are 1-based and in order", [o["line"] for o in objs] == [1, 2, 3, 4])
first = objs[0]["tokens"]
check("tokens carry kind, text, offset, length, flags",
      [(t["kind"], t["text"], t["offset"], t["length"]) for t in first] ==
      [("word", "hello", 0, 5), ("word", "world", 6, 5), ("emoticon", ":-)", 12, 3)]
      and first[1]["flags"] == ["allcaps"], first)
check("empty line gives an empty token list", objs[2]["tokens"] == [])
cafe = objs[1]["tokens"][-1]
check("offsets are bytes within the line", cafe["offset"] == 13 and cafe["length"] == 5, cafe)

# Offsets point at the token's own bytes in every line of the sample file.
sample = os.path.join(data_dir, "tokenizer_corpus.txt")
r = run(["tokenize", sample])
raw = open(sample, "rb").read().split(b"\n")
ok = r.returncode == 0
count = 0
for l in r.stdout.decode().splitlines():
    o = json.loads(l)
    src = raw[o["line"] - 1]
    for t in o["tokens"]:
        piece = src[t["offset"]:t["offset"] + t["length"]]
        count += 1
        if not piece or piece[:1].isspace():
            ok = False
check("sample file: every token's offset/length lands on its bytes", ok and count > 200, count)

# Invalid UTF-8 and NUL are survived, flagged, and never crash.
r = run(["tokenize"], stdin=b"caf\xe9 \x00 ok\n\xff\xfe\n")
objs = [json.loads(l) for l in r.stdout.decode().splitlines()]
check("invalid UTF-8 flagged as replaced",
      r.returncode == 0 and "replaced" in objs[0]["tokens"][0]["flags"]
      and objs[0]["tokens"][1]["text"] == "ok" and objs[0]["tokens"][1]["offset"] == 7, objs)

# A line longer than the read buffer is streamed, not truncated.
big = ("word " * 40000).encode() + b"\n"
r = run(["tokenize"], stdin=big)
o = json.loads(r.stdout)
check("a 200 KB line is tokenized whole", len(o["tokens"]) == 40000
      and o["tokens"][-1]["offset"] == 199995)

# cintel sentiment: scores and intents per line, and a bad lexicon is reported with its line.
r = run(["sentiment"], stdin=b"I love this app, thank you!\nMy card was charged twice. Cancel my account ASAP\n")
objs = [json.loads(l) for l in r.stdout.decode().splitlines()]
check("sentiment: one object per line with compound and intents",
      r.returncode == 0 and len(objs) == 2 and objs[0]["compound"] > 0.3 and objs[1]["compound"] < 0
      and "praise" in objs[0]["intents"] and "churn" in objs[1]["intents"], objs)
with tempfile.TemporaryDirectory() as tmp:
    bad = os.path.join(tmp, "bad.tsv")
    with open(bad, "w") as f:
        f.write("great\t3.0\nbroken line\n")
    r = run(["sentiment", "--lexicon", bad], stdin=b"great\n")
    check("sentiment: malformed lexicon names its line", r.returncode == 2 and b"line 2" in r.stderr, r.stderr)

# cintel themes: fit, save, assign with the saved model, corrupt model.
topics = ["my card has not arrived yet", "where is my new card, still not delivered",
          "i was charged twice for one payment", "duplicate charge on my statement",
          "cannot log in, password reset does not work", "locked out of my account after reset"]
lines = [topics[i % 6] + (" please" if i % 4 == 0 else "") for i in range(60)]
text = ("\n".join(lines) + "\n").encode()
with tempfile.TemporaryDirectory() as tmp:
    model = os.path.join(tmp, "m.bin")
    r = run(["themes", "--k", "3", "--seed", "1", "--save", model], stdin=text)
    objs = [json.loads(l) for l in r.stdout.decode().splitlines()]
    per_line = [o for o in objs if "line" in o]
    themes = [o for o in objs if "id" in o]
    check("themes: a line object per input line, then one object per theme",
          r.returncode == 0 and len(per_line) == 60 and len(themes) == 3
          and [o["line"] for o in per_line] == list(range(1, 61))
          and all(t["label"] and t["terms"] and t["examples"] for t in themes), objs[:3])
    # lines of the same topic share a theme
    same = all(per_line[i]["theme"] == per_line[i + 6]["theme"] for i in range(54))
    check("themes: same topic, same theme", same)
    r2 = run(["themes", "--model", model], stdin=text)
    objs2 = [json.loads(l) for l in r2.stdout.decode().splitlines() if '"line"' in l]
    check("themes: a saved model assigns the lines to the same themes",
          r2.returncode == 0 and [o["theme"] for o in objs2] == [o["theme"] for o in per_line])
    data = open(model, "rb").read()
    bad = os.path.join(tmp, "bad.bin")
    with open(bad, "wb") as f:
        f.write(data[: len(data) // 2])
    r3 = run(["themes", "--model", bad], stdin=b"x\n")
    check("themes: a truncated model is a clear error", r3.returncode == 2 and b"truncated" in r3.stderr,
          r3.stderr)
    r4 = run(["themes", "--model", model, "--k", "3"], stdin=b"x\n")
    check("themes: --k with --model is a usage error", r4.returncode == 2)

print("1..%d" % len(results))
for i, (name, ok, detail) in enumerate(results, 1):
    print("%s %d - %s" % ("ok" if ok else "not ok", i, name))
    if not ok:
        print("# " + str(detail)[:500].replace("\n", " "))
sys.exit(0 if all(ok for _, ok, _ in results) else 1)
