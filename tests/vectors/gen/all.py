"""Regenerates every vector file and the examples:  python3 tests/vectors/gen/all.py"""
import sys

sys.dont_write_bytecode = True

import gen_check  # noqa: E402
import gen_examples  # noqa: E402
import gen_lifecycle  # noqa: E402
import gen_policies  # noqa: E402
import gen_redact  # noqa: E402
import gen_responses  # noqa: E402
import gen_tokens  # noqa: E402
import gen_vault  # noqa: E402

for mod in (gen_check, gen_tokens, gen_lifecycle, gen_responses, gen_policies, gen_redact, gen_examples, gen_vault):
    mod.main()
