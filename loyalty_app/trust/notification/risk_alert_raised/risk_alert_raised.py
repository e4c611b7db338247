"""Standard Notification: Frappe loads its message from the .html beside this module."""
