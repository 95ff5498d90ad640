"""The guided demo: a whole Article 8 story on embedded defaults, with a moved clock."""
