"""Migration planning (``sovscan plan``): from a scan to units, waves, costs and a re-scored what-if.

``planner`` chooses an alternative per resource, groups resources into migration units and orders
them in waves; ``costs`` prices egress and transfer time; ``whatif`` re-places the moved resources
and re-scores the modified inventory with the same :func:`scanner.pipeline.assess`; ``exit``
computes concentration, exit readiness and the DORA register rows; ``csf`` the Cloud Sovereignty
Framework evidence; ``render`` writes the terminal, Markdown, CSV and JSON forms.
"""
