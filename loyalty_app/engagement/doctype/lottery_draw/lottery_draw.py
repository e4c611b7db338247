from loyalty_app.engagement.services.logs import ImmutableLog


class LotteryDraw(ImmutableLog):
	pass
