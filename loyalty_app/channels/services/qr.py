"""QR codes drawn on the server as inline SVG (segno)."""

import segno


def qr_svg(text: str) -> str:
	return segno.make(text, error="m").svg_inline(scale=5, border=2)
