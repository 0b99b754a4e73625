"""The jurisdiction graph: schema, builder and path queries."""
