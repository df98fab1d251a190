"""The admin pages at /admin: the channels' state, the replies that failed, the quarantine, the open tickets by
SLA standing and the configuration in force (`pages`), for the one admin the environment names (`access`)."""

MOUNT_PATH = "/admin"
