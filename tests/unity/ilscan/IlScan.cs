// Lists every call from one assembly into other assemblies whose name starts with a prefix, by
// reading the IL of every method body (MethodBody.GetILAsByteArray) and resolving the
// call/callvirt/newobj/ldftn/ldvirtftn/ldsfld/ldfld/ldtoken tokens with Module.ResolveMember.
// Usage: mono IlScan.exe Game.dll StreamScope   -> "CALL caller -> callee" lines, then "CALLS n".
using System;
using System.Collections.Generic;
using System.Reflection;
using System.Reflection.Emit;

public static class IlScan
{
    const BindingFlags All = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance
                             | BindingFlags.Static | BindingFlags.DeclaredOnly;

    public static int Main(string[] args)
    {
        Assembly assembly = Assembly.LoadFrom(args[0]);
        string prefix = args[1];
        var oneByte = new Dictionary<short, OpCode>();
        var twoByte = new Dictionary<short, OpCode>();
        foreach (FieldInfo f in typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static))
        {
            var op = (OpCode)f.GetValue(null);
            if (op.Size == 1) oneByte[op.Value] = op;
            else twoByte[(short)(op.Value & 0xFF)] = op;
        }
        int calls = 0;
        int methods = 0;
        foreach (Type type in assembly.GetTypes())
        {
            var bodies = new List<MethodBase>();
            bodies.AddRange(type.GetMethods(All));
            bodies.AddRange(type.GetConstructors(All));
            foreach (MethodBase method in bodies)
            {
                MethodBody body = method.GetMethodBody();
                if (body == null) continue;
                methods++;
                byte[] il = body.GetILAsByteArray();
                int pos = 0;
                while (pos < il.Length)
                {
                    OpCode op;
                    if (il[pos] == 0xFE)
                    {
                        op = twoByte[il[pos + 1]];
                        pos += 2;
                    }
                    else
                    {
                        op = oneByte[il[pos]];
                        pos += 1;
                    }
                    int size = OperandSize(op, il, pos);
                    if (op.OperandType == OperandType.InlineMethod || op.OperandType == OperandType.InlineField
                        || op.OperandType == OperandType.InlineTok || op.OperandType == OperandType.InlineType)
                    {
                        int token = BitConverter.ToInt32(il, pos);
                        MemberInfo target = Resolve(method, token);
                        Type declaring = target as Type ?? (target != null ? target.DeclaringType : null);
                        if (declaring != null && declaring.Assembly != assembly
                            && declaring.Assembly.GetName().Name.StartsWith(prefix, StringComparison.Ordinal))
                        {
                            calls++;
                            Console.WriteLine("CALL " + type.FullName + "." + method.Name + " -> " + op.Name + " "
                                              + declaring.FullName + "." + target.Name);
                        }
                    }
                    pos += size;
                }
            }
        }
        Console.WriteLine("METHODS " + methods);
        Console.WriteLine("CALLS " + calls);
        return 0;
    }

    static MemberInfo Resolve(MethodBase method, int token)
    {
        Type[] typeArgs = method.DeclaringType != null && method.DeclaringType.IsGenericType ? method.DeclaringType.GetGenericArguments() : null;
        Type[] methodArgs = method.IsGenericMethod ? method.GetGenericArguments() : null;
        return method.Module.ResolveMember(token, typeArgs, methodArgs);
    }

    static int OperandSize(OpCode op, byte[] il, int pos)
    {
        switch (op.OperandType)
        {
            case OperandType.InlineNone: return 0;
            case OperandType.ShortInlineBrTarget:
            case OperandType.ShortInlineI:
            case OperandType.ShortInlineVar: return 1;
            case OperandType.InlineVar: return 2;
            case OperandType.InlineI8:
            case OperandType.InlineR: return 8;
            case OperandType.InlineSwitch: return 4 + 4 * BitConverter.ToInt32(il, pos);
            default: return 4;
        }
    }
}
