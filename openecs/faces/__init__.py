"""The vendor faces: each knows one vendor's wire protocol and nothing of the store."""
