mod debian/clustered_session.ini
