"""Smoke events from per-frame grades: pure logic, no I/O, no clocks.

A vehicle's smoke is judged only AFTER it has passed (its body, and the shadow it drags, are
what fool a frame-by-frame grader while it is in the zone): the detector watches `watch_frames`
frames after the vehicle leaves and fires when `min_frames` CONSECUTIVE frames grade at least
`threshold_level` with at least `min_confidence`, ignoring the first `settle_frames` after it
leaves (the cast shadow trails the body out of the zone). Shadows and wet road, the known false alarms,
flicker a frame or two; black smoke hangs in the air for a second or more. One event per vehicle.

Feed one dict per frame:
    {"index": int, "ts": any (ms or a time string, passed through), "level": 0-5,
     "confidence": 0-1, "opacity": optional 0-1, "mode": optional "reference"|"crop" (what the
     grader read the level against), "vehicle": bool (a vehicle in the zone: loop detector / tracker),
     "plate": optional {"licensePlate", "plateColor", "match": "front"|"rear"},
     "image": optional (the frame, or its JPEG bytes: kept for the clip)}
The plate may also be set with `set_plate(...)` when the lane reads it (front camera before
the vehicle reaches the smoke camera, or the rear camera's read: `match` says which).

`feed()` returns None or an event shaped like an outbox item:
    {"kind": "smoke",
     "record": {"licensePlate", "plateColor", "plateMatch", "smokeLevel", "smokeOpacity",
                "smokeConfidence", "smokeMode", "firstFrame", "lastFrame", "firstTime", "lastTime", "frameIndices", "frameLevels"},
     "media": {"clip": [images: `pre_frames` before the run, then the run]}}
"""


class SmokeEventDetector:
    IDLE, PASSING, WATCH = "idle", "passing", "watch"

    def __init__(self, threshold_level=2, min_frames=5, min_confidence=0.5, watch_frames=50,
                 pre_frames=10, settle_frames=0):
        if not 1 <= int(threshold_level) <= 5:
            raise ValueError("threshold_level: must be 1-5, got %r" % (threshold_level,))
        if int(min_frames) < 1:
            raise ValueError("min_frames: must be >= 1, got %r" % (min_frames,))
        if int(watch_frames) < int(min_frames):
            raise ValueError("watch_frames: must be >= min_frames (%d), got %r" % (min_frames, watch_frames))
        self.threshold_level = int(threshold_level)
        self.min_frames = int(min_frames)
        self.min_confidence = float(min_confidence)
        self.watch_frames = int(watch_frames)
        self.pre_frames = int(pre_frames)
        if int(settle_frames) < 0:
            raise ValueError("settle_frames: must be >= 0, got %r" % (settle_frames,))
        self.settle_frames = int(settle_frames)
        self.state = self.IDLE
        self.plate = None
        self._next_plate = None
        self._history = []  # the last pre_frames frames before the current run (clip context)
        self._run = []
        self._left = 0
        self._settle = 0

    def set_plate(self, license_plate, plate_color="", match="front"):
        """The plate the lane read. A front read made while the detector is still watching the
        previous vehicle belongs to the next one; a rear read is of the vehicle that just passed."""
        plate = {"licensePlate": license_plate, "plateColor": plate_color, "match": match}
        if self.state == self.WATCH and match != "rear":
            self._next_plate = plate
        else:
            self.plate = plate

    def feed(self, frame):
        """Advance by one frame result; returns an event dict or None."""
        if frame.get("plate"):
            p = frame["plate"]
            self.set_plate(p.get("licensePlate", ""), p.get("plateColor", ""), p.get("match", "front"))
        if frame.get("vehicle"):
            if self.state == self.WATCH:  # the next vehicle arrived: the last one left clean
                self.plate, self._next_plate = self._next_plate, None
            self._drop_run()
            self.state = self.PASSING
        elif self.state == self.PASSING:
            self.state = self.WATCH
            self._left = self.watch_frames
            self._settle = self.settle_frames
        if self.state != self.WATCH:
            self._keep(frame)
            return None
        return self._watch(frame)

    def _watch(self, frame):
        if self._settle > 0:  # the trailing shadow is still leaving with the vehicle
            self._settle -= 1
            self._keep(frame)
            return None
        hot = (int(frame.get("level", 0)) >= self.threshold_level
               and float(frame.get("confidence", 0.0)) >= self.min_confidence)
        if hot:
            self._run.append(frame)
        else:
            self._drop_run()
            self._keep(frame)
        self._left -= 1
        if len(self._run) >= self.min_frames:
            event = self._event()
            self._reset()
            return event
        if self._left <= 0:
            self._reset()
        return None

    def _keep(self, frame):
        self._history.append(frame)
        del self._history[:-self.pre_frames or len(self._history)]

    def _drop_run(self):
        # a broken run's frames become context for the clip of a later run
        for f in self._run:
            self._keep(f)
        self._run = []

    def _reset(self):
        self.state = self.IDLE
        self.plate, self._next_plate = self._next_plate, None
        self._run = []
        self._history = []

    def _event(self):
        run = self._run
        levels = sorted(int(f["level"]) for f in run)
        level = levels[len(levels) // 2]  # median: one dark frame does not make a level-5 vehicle
        conf = sum(float(f.get("confidence", 0.0)) for f in run) / len(run)
        opacities = sorted(float(f.get("opacity", 0.2 * int(f["level"]))) for f in run)
        modes = [f.get("mode") for f in run if f.get("mode")]
        mode = max(set(modes), key=modes.count) if modes else None
        plate = self.plate or {"licensePlate": "", "plateColor": "", "match": ""}
        clip = [f["image"] for f in self._history + run if f.get("image") is not None]
        return {"kind": "smoke",
                "record": {"licensePlate": plate["licensePlate"], "plateColor": plate["plateColor"],
                           "plateMatch": plate["match"], "smokeLevel": level,
                           "smokeOpacity": round(opacities[len(opacities) // 2], 3),
                           "smokeConfidence": round(conf, 4), "smokeMode": mode,
                           "firstFrame": run[0].get("index"), "lastFrame": run[-1].get("index"),
                           "firstTime": run[0].get("ts"), "lastTime": run[-1].get("ts"),
                           "frameIndices": [f.get("index") for f in run],
                           "frameLevels": [int(f["level"]) for f in run]},
                "media": {"clip": clip}}
