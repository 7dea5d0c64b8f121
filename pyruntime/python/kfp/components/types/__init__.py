"""kfp 2.0.x location of the type modules (aliases of kfp.dsl.types)."""
