"""The notification service: e-mail, SMS, web push, signed webhooks and an in-app inbox, each sent once."""
