"""Logo detection with OpenCV: reference loading, candidate search and verification, annotated pages."""
