from loyalty_app.engagement.services.logs import ImmutableLog


class WelcomePackIssue(ImmutableLog):
	pass
