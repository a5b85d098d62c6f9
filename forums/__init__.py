"""Forums: the one discussion engine of Agora (forum pages, threads, posts, likes, follows).

Forum threads hang from ForumPages; other apps (ideas) host threads through
`forums.hosts`, so forums never imports them.
"""
