"""The web app: FastAPI routes and Jinja2 pages for partners, officers and auditors."""
