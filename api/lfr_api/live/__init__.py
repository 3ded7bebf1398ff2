"""What runs recognition inside the service: live pipelines, live matchers, the in-process
alert path, and the endpoints camera nodes read."""
