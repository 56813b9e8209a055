"""The gate decision (pure, MicroPython-safe): allow or refuse a vehicle at the barrier.

    from edge.policy import decide, compile_rules
    decide(facts, rules) -> {"allowed", "code", "reason", "display", "voice", "control", "notes"}

Modules: decision (the checks), guide (the default alert table and its source), measures
(controlMeasures free text -> rules), rules ([policy] defaults, checks, compiled form), texts
(display lines, voice), verification (6.14 clears an exceed entry), clock (minute arithmetic).
The issue asked for edge/policy.py; a package keeps `import edge.policy` and small modules.
`[policy]` settings are in edge/policy/settings.py (CPython only: it uses dataclasses).
"""
from edge.policy.decision import control_text, decide
from edge.policy.rules import compile_rules, RuleError
