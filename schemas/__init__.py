"""Wire contracts of the aftersales pipeline: event models, topics, keys and the codec."""
