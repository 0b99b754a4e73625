"""Microsoft Azure: offline formats (Resource Graph, ``az resource list``, ARM templates) and the transform.

``files`` holds the offline formats; ``normalize`` the pure transform from an ARM resource to
provider-neutral items, shared with the live collector; ``template`` the ARM template expression
subset that export templates need.
"""
