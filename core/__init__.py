"""What the crawler, the API and the operator share: settings, the database and its
migrations, the embedded defaults, logging and the command line."""
