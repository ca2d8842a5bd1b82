"""The Streamlit app: access control, translations, shared helpers and pages."""
