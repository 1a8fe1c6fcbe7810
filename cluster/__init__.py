"""Scale-out on Ray: render slots (one per GPU of a cluster) that run the model calls of the stages.

Imported only when S2V_RAY_ADDRESS is set; without it nothing here (nor Ray) is loaded.
"""
