"""The app's pages (Streamlit scripts run by ``st.navigation`` in ``app.py``) and their shared helpers."""
