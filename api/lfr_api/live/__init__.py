"""What runs recognition inside the service: live pipelines, live matchers (and how
they follow watchlist changes made on any replica), the in-process alert path, and the
endpoints camera nodes read."""
