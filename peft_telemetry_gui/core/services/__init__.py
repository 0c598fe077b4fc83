"""User actions: one `Store.update` each, shared by the library, the CLI and the app.

A service applies the consent policy and everything an action implies (emptying the upload
queue on opt-out, the deletion request on delete-all) under one lock, so no process can ever see
half an action. The CLI and the app call these and only format what they return.
"""
