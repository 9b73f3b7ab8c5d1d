"""Go-live notifiers: Discord webhooks and browser push (Web Push + VAPID)."""
