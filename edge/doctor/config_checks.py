"""The config file and the board profile (against the hardware's device-tree model)."""
from __future__ import annotations

from edge.doctor import fail, no_config, ok, warn


@no_config
def check_config(env):
    if env.config is None:
        text = env.config_error or "not loaded"
        if "not found" in text:
            return fail("config", text, "write it with `edge provision` (or start from `edge config example`)")
        return fail("config", text, "fix each key named (`edge config check` lists them with their rules)")
    c = env.config
    return ok("config", "%s valid (site %s, gate %s, destinations %s)" % (
        env.config_path, c.site.enterprise_id, c.site.gate_id, ",".join(c.uplink.destinations)))


def check_board(env):
    from edge.io.board import detect, read_dt_model
    if env.board is None:
        return fail("board", env.extra.get("board_error", "profile %r did not load" % env.config.board.profile),
                    "set [board] profile to one of `edge board list`")
    model = read_dt_model(env.sysroot)
    matches = detect(model)
    key = env.board.key
    if env.board.simulated:
        if model is None:
            return ok("board", "%s on a machine without a device tree (development/sim)" % key)
        return warn("board", "simulated profile %r on real hardware %r" % (key, model),
                    "set [board] profile = %r" % matches[0] if matches else
                    "set [board] profile to this board's profile (`edge board list`)")
    if model is None:
        return fail("board", "profile %s (%s) but this machine has no device-tree model" % (key, env.board.name),
                    "run on the board itself, or use profile 'sim' on a development machine")
    if key in matches:
        return ok("board", "%s matches %r" % (key, model))
    if matches:
        return fail("board", "profile %s, but the hardware is %r" % (key, model),
                    "set [board] profile = %r (edge provision asks)" % matches[0])
    if not env.board.dt_model:
        return warn("board", "custom profile %s; hardware %r" % (key, model),
                    "add dt_model = [%r] to the profile so it can be checked" % model)
    return fail("board", "profile %s expects %s, hardware is %r" % (key, " or ".join(env.board.dt_model), model),
                "pick the profile for this board (`edge board list`) or write one for it")
