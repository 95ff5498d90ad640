-- Runs once, when the PostgreSQL volume is created: one database for the product, one for Prefect.
-- The application database and role are created by the image from POSTGRES_DB / POSTGRES_USER.
CREATE DATABASE prefect;
