"""The mobile contract as code: its version, the OpenAPI document, the JSON Schemas."""
