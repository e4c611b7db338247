from hypothesis import given
from hypothesis import strategies as st

from loyalty_app.engine.privacy import mask_email, mask_mobile


def test_chinese_mobile_keeps_prefix_and_last_four():
	assert mask_mobile("+8613912345678") == "+86 139****5678"


def test_short_numbers_and_odd_text_show_only_two_digits():
	assert mask_mobile("+85261234567") == "+852 612*4567"
	assert mask_mobile("12345") == "***45"
	assert mask_mobile(None) is None
	assert mask_mobile("") == ""


@given(st.integers(13_000_000_000, 19_999_999_999))
def test_masked_number_never_shows_the_middle_digits(national):
	masked = mask_mobile(f"+86{national}")
	digits = str(national)
	assert masked == f"+86 {digits[:3]}****{digits[-4:]}"


def test_email_keeps_first_letters_and_top_level_domain():
	assert mask_email("li.wei@example.com") == "l*****@e******.com"
	assert mask_email("a@b") == "a*@b*"
	assert mask_email("no-at-sign") == "**********"
	assert mask_email(None) is None


@given(st.emails())
def test_a_masked_email_shows_only_two_letters_and_the_top_level_domain(email):
	local, _, domain = email.rpartition("@")
	host, _, tld = domain.rpartition(".")
	masked_local, at, masked_domain = mask_email(email).rpartition("@")
	assert at == "@"
	assert masked_local == local[0] + "*" * max(len(local) - 1, 1)
	assert masked_domain == f"{host[0]}{'*' * max(len(host) - 1, 1)}.{tld}"
