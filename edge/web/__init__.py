"""The status page on the board (HJ 1321 functions 1, 11-16 on the system's management page).

    app.py            create_app(config, control): middlewares (access, CSRF, one-line errors), routes
    views.py          the read-only JSON views and the files (photos, thumbnails, clips)
    actions.py        login/logout and the acts, each one lane control request
    live.py           one poller of the lane for every open page (server-sent events)
    records_index.py  the rebuildable query index over the outbox; follower.py keeps it current
    thumbs.py clips.py  thumbnails made once; clips served as stored (MP4 plays, .avi downloads)
    passwords.py sessions.py redact.py health.py lane_link.py job.py settings.py
    static/           the page itself: plain HTML, CSS and JavaScript, nothing from outside the board
"""
