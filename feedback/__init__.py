"""Customers' feedback: survey links, responses, interactions, ingest, rollups and dashboards."""
