"""The shared library of the portal: what any app may import, and that imports no area.

Generic views, tables, CSV, formatting for people, sealing, background jobs and
the outbox live here. Nothing in this package imports ``accounts`` or an area
app; the project root (``admin_portal``) and every app import it.
"""
