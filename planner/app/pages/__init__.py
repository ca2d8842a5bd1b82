"""Streamlit pages (run by app.py through st.navigation)."""
