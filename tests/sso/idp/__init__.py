"""Identity providers we did not write, run for the single sign-on tests."""
