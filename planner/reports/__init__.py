"""Tables, workbooks, 一厂一策 sheets and expert analyses of plans."""
