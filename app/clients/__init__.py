"""The clients dcmon drives: the native core and the real Webex JS SDK (through its Node
driver), behind one small interface (`interface.Client`)."""
